"""The event stream for integrators: the AsyncAPI catalogue and server-sent events."""
