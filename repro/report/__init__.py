"""The report: renders the results and records as HTML/PDF, figures, the blog post, and publishes them."""
