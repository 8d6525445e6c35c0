"""Qt views (PySide6, pyqtgraph). They reach fabrics only through console.backends."""
