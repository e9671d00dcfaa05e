"""Regenerate the demo files in this folder: python demo_data/make_demo.py (deterministic)."""

from pathlib import Path

from tui.demo import make_demo

if __name__ == "__main__":
    for path in make_demo(Path(__file__).resolve().parent):
        print(path)
