"""The Temporal messages: what responders and monitoring send an incident (``actions``) and what its own steps take
and give (``steps``). Payload shapes only ever gain fields with defaults: open incidents' histories must decode."""
