"""Thin HTTP and websocket endpoints: parse, authenticate, call a service, serialise."""
