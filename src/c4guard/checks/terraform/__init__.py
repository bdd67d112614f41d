"""Checks of Terraform configurations and plans, one module per C4 section."""
