"""What the preferences page shows of a reader's learned profile, from this app's side of the dependency.

The profile's rows belong to `newsletter` (it learns them from feedback on deliveries); they are read here
through the reverse relation, and the page's forms post to newsletter's URLs.
"""

from subscribers.models import Subscriber
from subscribers.showcase import trending_week

PICKABLE = 8  # trending papers offered in "Pick a few papers you like"


def learned_context(subscriber: Subscriber) -> dict:
    """The papers that taught the profile (latest first) and this week's trending papers not among them."""
    votes = list(subscriber.profile_votes.select_related("paper").order_by("-updated_at", "-id"))
    known = {vote.paper_id for vote in votes}
    week = trending_week()
    pickable = [paper for paper in (week.papers if week else []) if paper.id not in known][:PICKABLE]
    return {"learned": votes, "pickable": pickable, "pick_week": week}
