"""Root test configuration: puts tests/ on sys.path so test folders can share helpers."""
