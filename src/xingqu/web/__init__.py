"""Server-rendered pages: the landing page and the demo feed (the consoles come later)."""
