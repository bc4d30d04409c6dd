"""Shared by the lab's tests."""
import pytest


@pytest.fixture
def saved_png_sizes(tmp_path):
    """Save each of an experiment's figures as tmp_path/NAME.png; their sizes in bytes."""
    def save(figures: dict) -> dict:
        sizes = {}
        for name, fig in figures.items():
            path = tmp_path / f"{name}.png"
            fig.savefig(path)
            sizes[name] = path.stat().st_size
        return sizes
    return save
