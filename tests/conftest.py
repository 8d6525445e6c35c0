"""Test-wide set-up. Keep it minimal: fixtures belong in conftest files of subfolders.

Qt reads these when it starts, so they are set here, before any test module imports Qt:
no display is needed (offscreen platform), and Qt-binding pickers choose PySide6.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
