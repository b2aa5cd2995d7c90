"""Static files of the HTML report (CSS and JS, shipped as package data)."""
