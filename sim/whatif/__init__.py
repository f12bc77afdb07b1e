"""What-if analysis on top of `simulate`: compare, break-even, recommend, sweep."""
