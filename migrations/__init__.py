"""Numbered SQL migrations, shipped with the package so an installed axis can migrate."""
