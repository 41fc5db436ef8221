"""Amazon EBS direct APIs (snapshot blocks over rest-json)."""
