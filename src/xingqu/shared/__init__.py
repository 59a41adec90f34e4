"""The shared kernel: money, clock, errors, events and access, used by every context."""
