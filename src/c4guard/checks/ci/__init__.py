"""Checks of CI pipelines (GitHub Actions workflows, GitLab CI), one module per C4 section."""
