"""The realtime side: protocol models, event bus, hub (rooms and connections), replay."""
