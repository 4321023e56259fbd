"""The Excel face: custom functions (``udfs``) and button scripts (``scripts``).

``udfs`` and ``scripts`` are the only modules of the package that import xlwings;
``cells`` (values in and out of the functions), ``book`` (reading and writing an open
book through the xlwings Book interface) and ``install`` (settings, the VBA module, the
self-test) import nothing from xlwings, so they are usable and tested without it.
Importing this package imports neither.
"""
