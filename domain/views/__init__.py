"""Views and statistics: the status view, the closed incident's record and its Markdown, MTTA/MTTR and SLA figures."""
