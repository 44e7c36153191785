"""anywidget widgets the lessons share. Python validates and computes; JavaScript draws."""
