#!/usr/bin/env python3
"""A real OAuth 2.0 authorization server (django-oauth-toolkit) for Gatehouse's end-to-end tests."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
