"""c4guard: verify AI infrastructure against OWASP AISVS chapter C4."""

__version__ = "0.1.0"
