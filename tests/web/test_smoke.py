def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_nurse_signs_in(client, login_as):
    login_as("nurse")
    assert client.get("/").status_code == 200
