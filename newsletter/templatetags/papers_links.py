"""Links to a paper from a row of its fields, the same links `papers.models.paper_urls` gives everywhere."""

from django import template

from papers.models import paper_urls

register = template.Library()


@register.filter
def paper_url(arxiv_id: str, kind: str) -> str:
    """`{{ paper.arxiv_id|paper_url:"hf" }}`: kind is hf, arxiv or pdf."""
    return paper_urls(arxiv_id)[f"{kind}_url"]
