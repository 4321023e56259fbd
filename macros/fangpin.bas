Attribute VB_Name = "fangpin"
' fangpin-xl buttons for desktop Excel: each runs one script of fangpin_xl.excel.scripts
' on this workbook through xlwings' RunPython.
' Needs: Python with fangpin-xl, the xlwings add-in (xlwings addin install) and, in the
' VBA editor, Tools > References > xlwings ticked. See macros/README.md.
' This file is plain ASCII on purpose: the VBA editor imports .bas files in the system
' code page, so Chinese text stays in Python (the scripts show their messages).
Option Explicit

' Button "check this workbook": the checks of fangpin-xl validate, marks and a sheet of issues.
Sub FangpinCheck()
    RunPython "import fangpin_xl.excel.scripts as s; s.run('check')"
End Sub

' Button "public notice": a notice sheet for the village of the selected household row.
Sub FangpinNotice()
    RunPython "import fangpin_xl.excel.scripts as s; s.run('notice')"
End Sub

' Button "refresh computed columns": formulas (or values) of the computed columns on every row.
Sub FangpinRefresh()
    RunPython "import fangpin_xl.excel.scripts as s; s.run('refresh')"
End Sub
