"""Two writers of one record at once: one wins, the other is told, never a 500."""

from __future__ import annotations

import asyncio


async def test_two_concurrent_patches_of_a_custom_field_give_one_200_and_one_412(api):
    created = await api.post(
        "/v1/custom-fields",
        json={"object_type": "contact", "key": "tier", "label": "Tier", "type": "text"},
    )
    assert created.status_code == 201, created.text
    url, etag = f"/v1/custom-fields/{created.json()['id']}", created.headers["etag"]
    for round_ in range(3):
        answers = await asyncio.gather(
            *(
                api.patch(url, json={"label": f"Tier {round_}-{n}"}, headers={"If-Match": etag})
                for n in range(2)
            )
        )
        assert sorted(a.status_code for a in answers) == [200, 412], [a.text for a in answers]
        etag = next(a for a in answers if a.status_code == 200).headers["etag"]


async def test_a_patch_racing_a_delete_of_a_custom_field_is_never_a_500(api):
    for n in range(3):
        created = await api.post(
            "/v1/custom-fields",
            json={"object_type": "contact", "key": f"k{n}", "label": "K", "type": "text"},
        )
        url = f"/v1/custom-fields/{created.json()['id']}"
        patch, delete = await asyncio.gather(api.patch(url, json={"label": "L"}), api.delete(url))
        assert delete.status_code == 204, delete.text
        assert patch.status_code in (200, 404), patch.text


async def test_two_concurrent_patches_of_a_contact_give_one_200_and_one_412(api):
    created = await api.post("/v1/contacts", json={"first_name": "Ada"})
    url, etag = f"/v1/contacts/{created.json()['id']}", created.headers["etag"]
    answers = await asyncio.gather(
        *(api.patch(url, json={"title": f"T{n}"}, headers={"If-Match": etag}) for n in range(2))
    )
    assert sorted(a.status_code for a in answers) == [200, 412], [a.text for a in answers]
