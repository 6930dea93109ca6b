"""The review page: check, hear and edit an AD script in the browser (``cinescribe serve``)."""
