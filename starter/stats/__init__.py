"""`incidents stats`: reading closed records, the figures as table/JSON/CSV, and the HTML report with its charts."""
