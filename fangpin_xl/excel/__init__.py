"""The Excel face: custom functions (``udfs``) and, later, button scripts.

``udfs`` is the only module of the package that imports xlwings; ``cells`` turns the
values xlwings hands over into columns and back and imports nothing from xlwings, so
it is usable (and tested) without it. Importing this package imports neither.
"""
