"""Qt layers of the reading: viewport tools (line, count) and panels, thin observers of a Reading."""
