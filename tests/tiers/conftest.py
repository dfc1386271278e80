from tiers_helpers import project

__all__ = ["project"]
