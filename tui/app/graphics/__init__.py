"""Real pixels in terminals that show them: the encoders, the terminal query and the layers the thumbnail draws
through (kitty placeholders, sixel rows)."""
