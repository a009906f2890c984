"""Calendar feeds (RFC 5545, with ``icalendar``): a forum's sessions and next steps, a
person's next steps across forums, each at a secret URL that can be rotated."""
