from tests.helpers import login, csrf_token

def test_smoke(client):
    login(client, "admin")
    for url in ["/admin/", "/admin/users", "/admin/users/new", "/admin/users/1", "/admin/municipalities",
                "/admin/municipalities?q=كهك", "/admin/municipalities/1", "/admin/municipalities/import",
                "/admin/cycles", "/admin/cycles/new", "/admin/cycles/2/plan", "/admin/evaluations/5/assign",
                "/admin/evaluations/8/retier", "/admin/audit", "/admin/audit.csv", "/admin/audit?page=abc&evaluation=x&date_from=zz",
                "/admin/static/admin.css"]:
        r = client.get(url)
        print(url, r.status_code)
        assert r.status_code < 500, r.text[-3000:]
    print(client.get("/admin/cycles/2/plan").text[-6000:])
