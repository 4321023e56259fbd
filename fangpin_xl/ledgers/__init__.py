"""The county's ledgers on a township or county workbook: the follow-up register
(``register``), the public notices (``notices``) and the county report (``report``).

Each is an operation: it reads one workbook through ``source.read_source`` (which
tells a township workbook from the county workbook ``merge`` writes and makes
household numbers unique across townships), computes with the core modules
(``followup_register``, ``notice``, ``indicators``) and writes a print-ready
workbook atomically. Nothing here prints; ``cli.py`` renders the results.
"""
