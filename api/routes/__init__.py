"""The HTTP routes, one module per audience: incidents and responders, integrations, one-click links, on call."""
