"""The ``chainrule`` command."""
from __future__ import annotations

import argparse
import sys

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Backpropagation you can see: autograd on NumPy, networks, and the lab.")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("demo", help="a one-minute tour: backprop by hand, then the vanishing "
                                "gradient measured")
    return parser


def demo(args) -> int:
    import chainrule as cr

    print("chainrule demo: the lecture's worked example, f = (x + y) * z at x=3, y=-4, z=5")
    x = cr.tensor(3.0, requires_grad=True, name="x")
    y = cr.tensor(-4.0, requires_grad=True, name="y")
    z = cr.tensor(5.0, requires_grad=True, name="z")
    f = (x + y) * z
    f.backward()
    print(f"  forward:  f = {f.item():g}")
    print(f"  backward: df/dx = {x.grad.item():g}, df/dy = {y.grad.item():g}, "
          f"df/dz = {z.grad.item():g}")
    print("The training part of the demo (vanishing gradients, ReLU, skip connections) "
          "arrives with the lab.")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
