"""Workbook input and output.

``guard`` checks a file before any reader opens it, ``coerce`` turns raw cell
values into schema types, ``read`` is the one reader of township workbooks.
"""
