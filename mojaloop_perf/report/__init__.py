"""A run's report: report.html with its plots, from the run folder's own files.

`write_report(run_dir, echo=…)` for one folder; `report_for(project, scenario, run_id, echo=…)`
finds the folder (the scenario's latest run when run_id is None). See mojaloop_perf/report/write.py.
"""

from mojaloop_perf.report.write import report_for, write_report

__all__ = ["report_for", "write_report"]
