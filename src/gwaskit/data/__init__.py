"""Data files shipped with gwaskit (tables, reference subsets); see PROVENANCE.md."""
