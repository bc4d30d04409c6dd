"""The ``export`` message: the trained model as a checkpoint and as a Python script.

- ``model``: the bytes of a ``cr.save`` checkpoint (safetensors) holding
  ``{"model": state_dict, "config": setup, "epoch": n, "step": k}``; write them to a file
  and ``cr.load`` it.
- ``python``: a script that rebuilds the same network with chainrule and trains it exactly
  as the page did -- the same data, seed, initialisation, batch order, optimizer, loss and
  learning-rate changes -- so it ends with the same weights, and can compare them with the
  checkpoint (``python chainrule_playground.py chainrule-playground.safetensors``).

>>> msg = export_message(session)  # doctest: +SKIP
>>> sorted(msg)  # doctest: +SKIP
['filename', 'model', 'python', 'pythonFilename', 'type']
"""
from __future__ import annotations

import base64
import tempfile
import textwrap
from pathlib import Path

from .. import checkpoint
from .errors import N_, PlaygroundError
from .features import feature_code
from .network import (ACTIVATIONS, LOSS_CODE, init_code, loss_kind, optimizer_code, penalty_code,
                      uses_residual)

__all__ = ["export_message", "model_bytes", "python_code", "MODEL_FILE", "SCRIPT_FILE"]

MODEL_FILE = "chainrule-playground.safetensors"
SCRIPT_FILE = "chainrule_playground.py"


def export_message(session) -> dict:
    return {"type": "export", "filename": MODEL_FILE,
            "model": base64.b64encode(model_bytes(session)).decode("ascii"),
            "python": python_code(session), "pythonFilename": SCRIPT_FILE}


def model_bytes(session) -> bytes:
    """The checkpoint cr.save writes, as bytes (saved to a temporary folder: cr.save is the
    one writer of the format)."""
    payload = {"model": session.model, "config": session.config.to_dict(),
               "epoch": session.epoch, "step": session.step}
    try:
        with tempfile.TemporaryDirectory(prefix="chainrule-export-") as tmp:
            path = checkpoint.save(payload, Path(tmp) / MODEL_FILE)
            return path.read_bytes()
    except ImportError:
        raise PlaygroundError(N_("exporting needs the safetensors package: pip install "
                                 "safetensors")) from None


def _model_code(cfg) -> str:
    act = ACTIVATIONS[cfg.activation][1]
    sizes = [len(cfg.features), *cfg.networkShape]
    lines = []
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        block = f"nn.Sequential(nn.Linear({fan_in}, {fan_out}), {act})"
        lines.append(f"nn.Residual({block})" if uses_residual(cfg, k) else block)
    lines.append(f"nn.Linear({sizes[-1]}, {cfg.outputs})")
    return "\n".join(f"        {line}," for line in lines)


def _targets_code(cfg) -> str:
    if cfg.outputs == 1:
        return "labels.astype(np.float32).reshape(-1, 1)"
    if cfg.loss == "bce":
        return "labels.astype(np.int64)"
    return f"np.eye({cfg.outputs}, dtype=np.float32)[labels]"


def python_code(session) -> str:
    """The training script of this session (see the module docstring)."""
    cfg = session.config
    reg = penalty_code(cfg)
    reg_line = (f"\n            loss = loss + REGULARIZATION_RATE * {reg}" if reg else "")
    reg_const = f"\nREGULARIZATION_RATE = {cfg.regularizationRate!r}   # {cfg.regularization}" \
        if reg else ""
    what = (f"{cfg.data_name}, {cfg.problem}" +
            (f", {cfg.classes} classes" if cfg.num_classes > 2 else ""))
    return textwrap.dedent('''\
        """A network from the chainrule playground ({what}), rebuilt and trained with chainrule.

        The page's setup: {hash}

        It trains EPOCHS epochs exactly as the page did (the same data, seed, initialisation,
        batch order and updates), so it ends with the page's weights.

            python {script}                      # train, print the losses
            python {script} {model_file}   # and compare with the page's weights
        """
        import sys

        import numpy as np

        import chainrule as cr
        import chainrule.nn as nn
        import chainrule.nn.functional as F
        from chainrule.playground.datasets import make_data, split

        SEED = {seed}
        EPOCHS = {epochs}
        BATCH_SIZE = {batch}
        LEARNING_RATES = {lrs}   # epoch -> learning rate from then on{reg_const}


        def features(points):
            """The input features of points (n, 2): {feature_names}."""
            x, y = points[:, 0], points[:, 1]
            return {features}.astype(np.float32)


        def targets(labels):
            return {targets}


        def loss_fn(out, target):
            return {loss}


        def build_model():
            cr.manual_seed(SEED)
            model = nn.Sequential(
        {model}
            )
            for layer in model.modules():
                if isinstance(layer, nn.Linear):
                    {init}
                    nn.init.zeros_(layer.bias)
            return model


        def train(epochs=EPOCHS):
            """(model, train loss, test loss) after training for epochs epochs."""
            X, y = make_data({data!r}, n={points}, noise={noise!r}, classes={classes}, seed=SEED)
            (xy_train, y_train), (xy_test, y_test) = split(X, y, {perc!r})
            X_train, T_train = features(xy_train), targets(y_train)
            X_test, T_test = features(xy_test), targets(y_test)
            model = build_model()
            layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
            lr = LEARNING_RATES[0]
            optimizer = {optimizer}
            order = np.random.default_rng(SEED + 1)     # shuffles the training set
            for epoch in range(epochs):
                for group in optimizer.param_groups:
                    group["lr"] = LEARNING_RATES.get(epoch, group["lr"])
                perm = order.permutation(len(X_train))
                for start in range(0, len(X_train), BATCH_SIZE):
                    idx = perm[start:start + BATCH_SIZE]
                    loss = loss_fn(model(cr.tensor(X_train[idx])), T_train[idx]){reg_line}
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
            with cr.no_grad():
                train_loss = loss_fn(model(cr.tensor(X_train)), T_train).item()
                test_loss = loss_fn(model(cr.tensor(X_test)), T_test).item()
            return model, train_loss, test_loss


        if __name__ == "__main__":
            model, train_loss, test_loss = train()
            print(f"after {{EPOCHS}} epochs: train loss {{train_loss:.4f}}, "
                  f"test loss {{test_loss:.4f}}")
            if len(sys.argv) > 1:
                saved = cr.load(sys.argv[1])["model"]
                same = all(np.array_equal(v, saved[k]) for k, v in model.state_dict().items())
                print("the same weights as", sys.argv[1], "->", same)
        ''').format(
        what=what, hash=cfg.to_hash(), script=SCRIPT_FILE, model_file=MODEL_FILE,
        seed=cfg.seed, epochs=session.epoch, batch=cfg.batchSize,
        lrs=repr(dict(session.lr_schedule)), reg_const=reg_const,
        feature_names=", ".join(cfg.features), features=feature_code(cfg.features),
        targets=_targets_code(cfg), loss=LOSS_CODE[(loss_kind(cfg), cfg.loss)],
        model=_model_code(cfg), init=init_code(cfg.init, cfg.activation),
        data=cfg.data_name, points=cfg.points, noise=cfg.noise, classes=cfg.classes,
        perc=cfg.percTrainData, optimizer=optimizer_code(cfg), reg_line=reg_line)
