"""mailtui: a terminal mail composer with a verified SMTP engine."""

__version__ = "0.1.0"
