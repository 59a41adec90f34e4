from tests.sim.tiny import tiny_template, tiny_world

__all__ = ["tiny_template", "tiny_world"]
