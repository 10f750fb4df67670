print("cohortlens")
