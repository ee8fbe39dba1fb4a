"""Evidence that the visit happened (issue 18).

- ``record``: the form's paradata (per criterion first and last change and how often; the
  visit's start and end; active time per unit; devices; places), cleaned, kept append-only
  and summed up per evaluation;
- ``photos``: what an upload's EXIF said (capture time, GPS) and a perceptual hash, read
  before the stored photo is made from pixels alone; kept privately, never served;
- ``flags``: signs that an evaluation may have been filled at a desk, computed per evaluation,
  never blocking anything; a reviewer may explain one (``services``);
- ``visibility``: the one function saying who may see paradata, flags and their exports.
"""
