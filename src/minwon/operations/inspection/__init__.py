"""Preventive inspection (예방점검): ``minwon inspect``; see ``model.py``."""
