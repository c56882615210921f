"""marketing-service.

Marketing automation: segments, campaigns, tracking, journeys, scoring, consent.
"""
