"""Recipes joining the layers below for one task: simulate to a file, the demo, evaluation, …"""
