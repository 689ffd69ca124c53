"""Repeat calls and merged tickets (#16): candidates, 追加, 并单, 关联 and their undo."""
