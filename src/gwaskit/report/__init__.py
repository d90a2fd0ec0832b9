"""The HTML report: one self-contained file from the results of a gwaskit analysis."""

from gwaskit.report.build import build_report, write_report
from gwaskit.report.inputs import ReportInputs, load_report_inputs, locus_file_name

__all__ = ["ReportInputs", "build_report", "load_report_inputs", "locus_file_name", "write_report"]
