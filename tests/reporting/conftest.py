from reporting_helpers import receiver

__all__ = ["receiver"]
