#!/usr/bin/env python3
"""Checks that every relative link in README.md and docs/*.md points at a file that exists
and, with a #fragment, at a heading that file has (GitHub's anchor rules: lower case,
punctuation dropped, spaces as hyphens). Prints each broken link; exits 1 if there is one."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def anchor(heading):
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def main():
    os.chdir(ROOT)
    pages = ["README.md"] + sorted(os.path.join("docs", name) for name in os.listdir("docs") if name.endswith(".md"))
    anchors = {page: {anchor(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", open(page).read(), re.M)} for page in pages}
    broken, checked = [], 0
    for page in pages:
        for match in re.finditer(r"\]\(([^)\s]+)\)", open(page).read()):
            link = match.group(1)
            if re.match(r"[a-z]+:", link):
                continue
            checked += 1
            path, _, fragment = link.partition("#")
            target = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(target):
                broken.append(f"{page}: {link} (no such file)")
            elif fragment and target.endswith(".md") and fragment not in anchors.get(target, set()):
                broken.append(f"{page}: {link} (no such heading)")
    for line in broken:
        print(line)
    print(f"{checked} relative links in {len(pages)} pages, {len(broken)} broken")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
